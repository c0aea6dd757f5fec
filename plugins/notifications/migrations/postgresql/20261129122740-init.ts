import { Migration } from '@mikro-orm/migrations'

export class Migration20261129122740Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"notifications_broadcast\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"author_id\" varchar(36) null, \"subject\" varchar(200) not null, \"body\" text not null, \"topic_ids\" jsonb not null, \"status\" varchar(16) not null, \"recipients\" int not null, \"created_at\" timestamptz not null, \"sent_at\" timestamptz null, constraint \"notifications_broadcast_pkey\" primary key (\"id\"))")
    this.addSql("create index \"notifications_broadcast_tenant_id_index\" on \"notifications_broadcast\" (\"tenant_id\")")
    this.addSql("create table \"notifications_notice\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"category\" varchar(16) not null, \"message_key\" varchar(120) not null, \"params\" jsonb not null, \"link\" varchar(500) null, \"created_at\" timestamptz not null, \"read_at\" timestamptz null, constraint \"notifications_notice_pkey\" primary key (\"id\"))")
    this.addSql("create index \"notifications_notice_tenant_id_index\" on \"notifications_notice\" (\"tenant_id\")")
    this.addSql("create index \"notifications_notice_tenant_id_member_id_read_at_index\" on \"notifications_notice\" (\"tenant_id\", \"member_id\", \"read_at\")")
    this.addSql("create index \"notifications_notice_member_id_created_at_index\" on \"notifications_notice\" (\"member_id\", \"created_at\")")
    this.addSql("create table \"notifications_preferences\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"member_id\" varchar(36) not null, \"digest\" varchar(8) not null, \"digest_hour\" int not null, \"digest_day\" varchar(3) not null, \"off\" jsonb not null, \"last_digest_at\" timestamptz null, \"updated_at\" timestamptz not null, constraint \"notifications_preferences_pkey\" primary key (\"id\"))")
    this.addSql("create index \"notifications_preferences_tenant_id_index\" on \"notifications_preferences\" (\"tenant_id\")")
    this.addSql("alter table \"notifications_preferences\" add constraint \"notifications_preferences_tenant_id_member_id_unique\" unique (\"tenant_id\", \"member_id\")")
  }
}
