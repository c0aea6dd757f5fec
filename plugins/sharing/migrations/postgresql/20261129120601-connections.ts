import { Migration } from '@mikro-orm/migrations'

export class Migration20261129120601Connections extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"sharing_connection\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"network\" varchar(20) not null, \"host\" varchar(253) not null, \"account_id\" varchar(200) not null, \"account_name\" varchar(300) not null, \"token\" text not null, \"token_expires_at\" timestamptz null, \"status\" varchar(20) not null, \"connected_at\" timestamptz not null, \"updated_at\" timestamptz not null, constraint \"sharing_connection_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_connection_tenant_id_index\" on \"sharing_connection\" (\"tenant_id\")")
    this.addSql("alter table \"sharing_connection\" add constraint \"sharing_connection_tenant_id_member_id_network_unique\" unique (\"tenant_id\", \"member_id\", \"network\")")
    this.addSql("create table \"sharing_direct_post\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"post_id\" varchar(36) not null, \"network\" varchar(20) not null, \"connection_id\" varchar(36) not null, \"account_name\" varchar(300) not null, \"link_id\" varchar(36) not null, \"message\" text not null, \"url\" varchar(2400) not null, \"status\" varchar(16) not null, \"run_at\" timestamptz not null, \"failure\" varchar(40) null, \"detail\" varchar(300) null, \"remote_url\" varchar(2000) null, \"share_id\" varchar(36) null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, constraint \"sharing_direct_post_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_direct_post_tenant_id_index\" on \"sharing_direct_post\" (\"tenant_id\")")
    this.addSql("create index \"sharing_direct_post_share_id_index\" on \"sharing_direct_post\" (\"share_id\")")
    this.addSql("create index \"sharing_direct_post_tenant_id_member_id_created_at_index\" on \"sharing_direct_post\" (\"tenant_id\", \"member_id\", \"created_at\")")
    this.addSql("create table \"sharing_oauth_state\" (\"id\" varchar(64) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"session_hash\" varchar(64) not null, \"network\" varchar(20) not null, \"host\" varchar(253) not null, \"redirect_uri\" varchar(2000) not null, \"return_to\" varchar(200) null, \"expires_at\" timestamptz not null, constraint \"sharing_oauth_state_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_oauth_state_tenant_id_index\" on \"sharing_oauth_state\" (\"tenant_id\")")
    this.addSql("create index \"sharing_oauth_state_expires_at_index\" on \"sharing_oauth_state\" (\"expires_at\")")
    this.addSql("create table \"sharing_provider_app\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"network\" varchar(20) not null, \"host\" varchar(253) not null, \"client_id\" varchar(500) not null, \"client_secret\" text not null, \"redirect_uri\" varchar(2000) null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, constraint \"sharing_provider_app_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_provider_app_tenant_id_index\" on \"sharing_provider_app\" (\"tenant_id\")")
    this.addSql("alter table \"sharing_provider_app\" add constraint \"sharing_provider_app_tenant_id_network_host_unique\" unique (\"tenant_id\", \"network\", \"host\")")
  }
}
