import { Migration } from '@mikro-orm/migrations'

export class Migration20261129100000TenancyInit extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `tenancy_tenant` (`id` text not null, `slug` text not null, `name` text not null, `time_zone` text not null, `locale` text not null, `brand_name` text not null, `brand_colour` text not null, `logo_path` text null, `invitation_message` text not null, `status` text not null, `created_at` datetime not null, `updated_at` datetime not null, primary key (`id`))")
    this.addSql("create unique index `tenancy_tenant_slug_unique` on `tenancy_tenant` (`slug`)")
    this.addSql("create table `tenancy_domain` (`domain` text not null, `tenant_id` text not null, `created_at` datetime not null, primary key (`domain`))")
    this.addSql("create index `tenancy_domain_tenant_id_index` on `tenancy_domain` (`tenant_id`)")
  }
}
