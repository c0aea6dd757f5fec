import { Migration } from '@mikro-orm/migrations'

export class Migration20261129110000AuthInit extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"auth_audit\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"operator_id\" varchar(36) not null, \"operator_name\" varchar(120) not null, \"action\" varchar(80) not null, \"subject\" varchar(200) not null, \"reason\" varchar(500) not null, \"created_at\" timestamptz not null, constraint \"auth_audit_pkey\" primary key (\"id\"))")
    this.addSql("create index \"auth_audit_tenant_id_index\" on \"auth_audit\" (\"tenant_id\")")
    this.addSql("create index \"auth_audit_created_at_index\" on \"auth_audit\" (\"created_at\")")
    this.addSql("create table \"auth_token\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"hash\" varchar(64) not null, \"kind\" varchar(16) not null, \"member_id\" varchar(36) null, \"email\" varchar(254) not null, \"data\" text not null, \"created_by\" varchar(36) null, \"expires_at\" timestamptz not null, \"used_at\" timestamptz null, \"created_at\" timestamptz not null, constraint \"auth_token_pkey\" primary key (\"id\"))")
    this.addSql("create index \"auth_token_tenant_id_index\" on \"auth_token\" (\"tenant_id\")")
    this.addSql("alter table \"auth_token\" add constraint \"auth_token_hash_unique\" unique (\"hash\")")
    this.addSql("create index \"auth_token_member_id_index\" on \"auth_token\" (\"member_id\")")
    this.addSql("create table \"auth_member\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"email\" varchar(254) not null, \"name\" varchar(120) not null, \"password_hash\" varchar(255) null, \"role\" varchar(16) not null, \"status\" varchar(16) not null, \"title\" varchar(120) null, \"department\" varchar(120) null, \"epoch\" int not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"verified_at\" timestamptz null, \"last_login_at\" timestamptz null, constraint \"auth_member_pkey\" primary key (\"id\"))")
    this.addSql("create index \"auth_member_tenant_id_index\" on \"auth_member\" (\"tenant_id\")")
    this.addSql("alter table \"auth_member\" add constraint \"auth_member_tenant_id_email_unique\" unique (\"tenant_id\", \"email\")")
    this.addSql("create table \"auth_operator\" (\"id\" varchar(36) not null, \"email\" varchar(254) not null, \"name\" varchar(120) not null, \"password_hash\" varchar(255) not null, \"epoch\" int not null, \"created_at\" timestamptz not null, constraint \"auth_operator_pkey\" primary key (\"id\"))")
    this.addSql("alter table \"auth_operator\" add constraint \"auth_operator_email_unique\" unique (\"email\")")
  }
}
