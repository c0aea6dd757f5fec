import { Migration } from '@mikro-orm/migrations'

export class Migration20261129114945Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"sharing_click\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"link_id\" varchar(36) not null, \"post_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"network\" varchar(20) not null, \"at\" timestamptz not null, \"ip_net\" varchar(64) not null, \"agent\" varchar(16) not null, \"referrer_host\" varchar(253) null, \"visitor_key\" varchar(64) not null, \"bot\" boolean not null, constraint \"sharing_click_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_click_tenant_id_index\" on \"sharing_click\" (\"tenant_id\")")
    this.addSql("create index \"sharing_click_tenant_id_at_index\" on \"sharing_click\" (\"tenant_id\", \"at\")")
    this.addSql("create index \"sharing_click_link_id_index\" on \"sharing_click\" (\"link_id\")")
    this.addSql("create table \"sharing_link\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"code\" varchar(16) not null, \"post_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"network\" varchar(20) not null, \"target\" varchar(2400) not null, \"created_at\" timestamptz not null, constraint \"sharing_link_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_link_tenant_id_index\" on \"sharing_link\" (\"tenant_id\")")
    this.addSql("alter table \"sharing_link\" add constraint \"sharing_link_code_unique\" unique (\"code\")")
    this.addSql("create index \"sharing_link_member_id_index\" on \"sharing_link\" (\"member_id\")")
    this.addSql("alter table \"sharing_link\" add constraint \"sharing_link_post_id_member_id_network_unique\" unique (\"post_id\", \"member_id\", \"network\")")
    this.addSql("create table \"sharing_post_networks\" (\"post_id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"networks\" jsonb not null, constraint \"sharing_post_networks_pkey\" primary key (\"post_id\"))")
    this.addSql("create index \"sharing_post_networks_tenant_id_index\" on \"sharing_post_networks\" (\"tenant_id\")")
    this.addSql("create table \"sharing_share\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"post_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"network\" varchar(20) not null, \"link_id\" varchar(36) not null, \"text\" text not null, \"created_at\" timestamptz not null, constraint \"sharing_share_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_share_tenant_id_index\" on \"sharing_share\" (\"tenant_id\")")
    this.addSql("create index \"sharing_share_post_id_index\" on \"sharing_share\" (\"post_id\")")
    this.addSql("create index \"sharing_share_member_id_index\" on \"sharing_share\" (\"member_id\")")
    this.addSql("create index \"sharing_share_tenant_id_created_at_index\" on \"sharing_share\" (\"tenant_id\", \"created_at\")")
    this.addSql("create table \"sharing_profile\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"mastodon_instance\" varchar(253) null, constraint \"sharing_profile_pkey\" primary key (\"id\"))")
    this.addSql("create index \"sharing_profile_tenant_id_index\" on \"sharing_profile\" (\"tenant_id\")")
    this.addSql("alter table \"sharing_profile\" add constraint \"sharing_profile_tenant_id_member_id_unique\" unique (\"tenant_id\", \"member_id\")")
    this.addSql("create table \"sharing_settings\" (\"tenant_id\" varchar(36) not null, \"networks\" jsonb not null, \"utm_campaign\" varchar(100) not null, \"short_domain\" varchar(253) null, \"updated_at\" timestamptz not null, constraint \"sharing_settings_pkey\" primary key (\"tenant_id\"))")
    this.addSql("alter table \"sharing_settings\" add constraint \"sharing_settings_short_domain_unique\" unique (\"short_domain\")")
    this.addSql("create table \"sharing_salt\" (\"day\" varchar(10) not null, \"salt\" varchar(64) not null, constraint \"sharing_salt_pkey\" primary key (\"day\"))")
  }
}
