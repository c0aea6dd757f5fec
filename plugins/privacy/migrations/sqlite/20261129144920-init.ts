import { Migration } from '@mikro-orm/migrations'

export class Migration20261129144920Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `privacy_ack` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `version` integer not null, `at` datetime not null, primary key (`id`))")
    this.addSql("create index `privacy_ack_tenant_id_index` on `privacy_ack` (`tenant_id`)")
    this.addSql("create unique index `privacy_ack_tenant_id_member_id_version_unique` on `privacy_ack` (`tenant_id`, `member_id`, `version`)")
    this.addSql("create table `privacy_consent` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `cookie` text not null, `granted` integer not null, `at` datetime not null, primary key (`id`))")
    this.addSql("create index `privacy_consent_tenant_id_index` on `privacy_consent` (`tenant_id`)")
    this.addSql("create unique index `privacy_consent_tenant_id_member_id_cookie_unique` on `privacy_consent` (`tenant_id`, `member_id`, `cookie`)")
    this.addSql("create table `privacy_export` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `open_key` text null, `status` text not null, `token_hash` text null, `archive` blob null, `bytes` integer not null, `requested_at` datetime not null, `ready_at` datetime null, `expires_at` datetime null, `downloaded_at` datetime null, primary key (`id`))")
    this.addSql("create index `privacy_export_tenant_id_index` on `privacy_export` (`tenant_id`)")
    this.addSql("create index `privacy_export_member_id_index` on `privacy_export` (`member_id`)")
    this.addSql("create index `privacy_export_expires_at_index` on `privacy_export` (`expires_at`)")
    this.addSql("create unique index `privacy_export_tenant_id_open_key_unique` on `privacy_export` (`tenant_id`, `open_key`)")
    this.addSql("create table `privacy_policy` (`id` text not null, `tenant_id` text not null, `version` integer not null, `body` text not null, `published_at` datetime not null, `published_by` text null, primary key (`id`))")
    this.addSql("create index `privacy_policy_tenant_id_index` on `privacy_policy` (`tenant_id`)")
    this.addSql("create unique index `privacy_policy_tenant_id_version_unique` on `privacy_policy` (`tenant_id`, `version`)")
  }
}
