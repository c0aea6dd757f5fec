import { Migration } from '@mikro-orm/migrations'

export class Migration20261129144920Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"privacy_ack\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"version\" int not null, \"at\" timestamptz not null, constraint \"privacy_ack_pkey\" primary key (\"id\"))")
    this.addSql("create index \"privacy_ack_tenant_id_index\" on \"privacy_ack\" (\"tenant_id\")")
    this.addSql("alter table \"privacy_ack\" add constraint \"privacy_ack_tenant_id_member_id_version_unique\" unique (\"tenant_id\", \"member_id\", \"version\")")
    this.addSql("create table \"privacy_consent\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"cookie\" varchar(100) not null, \"granted\" boolean not null, \"at\" timestamptz not null, constraint \"privacy_consent_pkey\" primary key (\"id\"))")
    this.addSql("create index \"privacy_consent_tenant_id_index\" on \"privacy_consent\" (\"tenant_id\")")
    this.addSql("alter table \"privacy_consent\" add constraint \"privacy_consent_tenant_id_member_id_cookie_unique\" unique (\"tenant_id\", \"member_id\", \"cookie\")")
    this.addSql("create table \"privacy_export\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"open_key\" varchar(36) null, \"status\" varchar(16) not null, \"token_hash\" varchar(64) null, \"archive\" bytea null, \"bytes\" int not null, \"requested_at\" timestamptz not null, \"ready_at\" timestamptz null, \"expires_at\" timestamptz null, \"downloaded_at\" timestamptz null, constraint \"privacy_export_pkey\" primary key (\"id\"))")
    this.addSql("create index \"privacy_export_tenant_id_index\" on \"privacy_export\" (\"tenant_id\")")
    this.addSql("create index \"privacy_export_member_id_index\" on \"privacy_export\" (\"member_id\")")
    this.addSql("create index \"privacy_export_expires_at_index\" on \"privacy_export\" (\"expires_at\")")
    this.addSql("alter table \"privacy_export\" add constraint \"privacy_export_tenant_id_open_key_unique\" unique (\"tenant_id\", \"open_key\")")
    this.addSql("create table \"privacy_policy\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"version\" int not null, \"body\" text not null, \"published_at\" timestamptz not null, \"published_by\" varchar(36) null, constraint \"privacy_policy_pkey\" primary key (\"id\"))")
    this.addSql("create index \"privacy_policy_tenant_id_index\" on \"privacy_policy\" (\"tenant_id\")")
    this.addSql("alter table \"privacy_policy\" add constraint \"privacy_policy_tenant_id_version_unique\" unique (\"tenant_id\", \"version\")")
  }
}
