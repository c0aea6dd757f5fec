import { Migration } from '@mikro-orm/migrations'

export class Migration20261129144248Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"analytics_daily\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"day\" varchar(10) not null, \"post_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"network\" varchar(20) not null, \"event\" varchar(60) not null, \"count\" int not null, constraint \"analytics_daily_pkey\" primary key (\"id\"))")
    this.addSql("create index \"analytics_daily_tenant_id_day_index\" on \"analytics_daily\" (\"tenant_id\", \"day\")")
    this.addSql("alter table \"analytics_daily\" add constraint \"analytics_daily_tenant_id_day_post_id_member_id_n_b6fd5_unique\" unique (\"tenant_id\", \"day\", \"post_id\", \"member_id\", \"network\", \"event\")")
    this.addSql("create table \"analytics_event\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"at\" timestamptz not null, \"type\" varchar(60) not null, \"post_id\" varchar(36) null, \"member_id\" varchar(36) null, \"network\" varchar(20) null, \"subject\" varchar(200) null, constraint \"analytics_event_pkey\" primary key (\"id\"))")
    this.addSql("create index \"analytics_event_tenant_id_at_index\" on \"analytics_event\" (\"tenant_id\", \"at\")")
    this.addSql("create index \"analytics_event_at_index\" on \"analytics_event\" (\"at\")")
    this.addSql("create table \"analytics_member\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"hide_name\" boolean not null, \"audience\" jsonb not null, constraint \"analytics_member_pkey\" primary key (\"id\"))")
    this.addSql("alter table \"analytics_member\" add constraint \"analytics_member_tenant_id_member_id_unique\" unique (\"tenant_id\", \"member_id\")")
    this.addSql("create table \"analytics_request\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"at\" timestamptz not null, \"path\" varchar(500) not null, \"referrer_host\" varchar(253) null, \"agent_class\" varchar(16) not null, \"ip_net\" varchar(64) not null, \"member_id\" varchar(36) null, constraint \"analytics_request_pkey\" primary key (\"id\"))")
    this.addSql("create index \"analytics_request_tenant_id_at_index\" on \"analytics_request\" (\"tenant_id\", \"at\")")
    this.addSql("create index \"analytics_request_at_index\" on \"analytics_request\" (\"at\")")
    this.addSql("create table \"analytics_settings\" (\"tenant_id\" varchar(36) not null, \"beacons\" boolean not null, \"cost_per_click_cents\" int not null, \"currency\" varchar(3) not null, \"points\" jsonb not null, \"leaderboard_anonymous\" boolean not null, \"updated_at\" timestamptz not null, constraint \"analytics_settings_pkey\" primary key (\"tenant_id\"))")
  }
}
