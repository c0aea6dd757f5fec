import { Migration } from '@mikro-orm/migrations'

export class Migration20261129110000AuthInit extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `auth_audit` (`id` text not null, `tenant_id` text not null, `operator_id` text not null, `operator_name` text not null, `action` text not null, `subject` text not null, `reason` text not null, `created_at` datetime not null, primary key (`id`))")
    this.addSql("create index `auth_audit_tenant_id_index` on `auth_audit` (`tenant_id`)")
    this.addSql("create index `auth_audit_created_at_index` on `auth_audit` (`created_at`)")
    this.addSql("create table `auth_token` (`id` text not null, `tenant_id` text not null, `hash` text not null, `kind` text not null, `member_id` text null, `email` text not null, `data` text not null, `created_by` text null, `expires_at` datetime not null, `used_at` datetime null, `created_at` datetime not null, primary key (`id`))")
    this.addSql("create index `auth_token_tenant_id_index` on `auth_token` (`tenant_id`)")
    this.addSql("create unique index `auth_token_hash_unique` on `auth_token` (`hash`)")
    this.addSql("create index `auth_token_member_id_index` on `auth_token` (`member_id`)")
    this.addSql("create table `auth_member` (`id` text not null, `tenant_id` text not null, `email` text not null, `name` text not null, `password_hash` text null, `role` text not null, `status` text not null, `title` text null, `department` text null, `epoch` integer not null, `created_at` datetime not null, `updated_at` datetime not null, `verified_at` datetime null, `last_login_at` datetime null, primary key (`id`))")
    this.addSql("create index `auth_member_tenant_id_index` on `auth_member` (`tenant_id`)")
    this.addSql("create unique index `auth_member_tenant_id_email_unique` on `auth_member` (`tenant_id`, `email`)")
    this.addSql("create table `auth_operator` (`id` text not null, `email` text not null, `name` text not null, `password_hash` text not null, `epoch` integer not null, `created_at` datetime not null, primary key (`id`))")
    this.addSql("create unique index `auth_operator_email_unique` on `auth_operator` (`email`)")
  }
}
