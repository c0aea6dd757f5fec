import { Migration } from '@mikro-orm/migrations'

export class Migration20261129112941Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `forms_lead` (`id` text not null, `tenant_id` text not null, `form` text not null, `status` text not null, `email` text not null, `name` text null, `company` text null, `role` text null, `company_size` text null, `message` text null, `preferred_at` datetime null, `preferred_time_zone` text null, `step` integer not null, `completed_at` datetime null, `notes` text null, `network` text not null, `created_at` datetime not null, `updated_at` datetime not null, primary key (`id`))")
    this.addSql("create index `forms_lead_tenant_id_index` on `forms_lead` (`tenant_id`)")
    this.addSql("create index `forms_lead_tenant_id_created_at_index` on `forms_lead` (`tenant_id`, `created_at`)")
    this.addSql("create table `forms_settings` (`tenant_id` text not null, `recipients` text not null, `confirmation` integer not null, `privacy_notice` text null, `retention_days` integer null, `updated_at` datetime not null, primary key (`tenant_id`))")
  }
}
