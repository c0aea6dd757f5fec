import { Migration } from 'kaiku/plugin-api'

export class Migration20261129145210Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"polls_poll\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"question\" varchar(300) not null, \"kind\" varchar(16) not null, \"options\" text not null, \"anonymous\" boolean not null, \"results_public\" boolean not null, \"closes_at\" timestamptz null, \"post_id\" varchar(36) null, \"created_by\" varchar(36) not null, \"created_at\" timestamptz not null, constraint \"polls_poll_pkey\" primary key (\"id\"))")
    this.addSql("create index \"polls_poll_tenant_id_created_at_index\" on \"polls_poll\" (\"tenant_id\", \"created_at\")")
    this.addSql("create index \"polls_poll_tenant_id_post_id_index\" on \"polls_poll\" (\"tenant_id\", \"post_id\")")
    this.addSql("create table \"polls_answer\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"poll_id\" varchar(36) not null, \"voter\" varchar(64) not null, \"member_id\" varchar(36) null, \"choices\" text not null, \"text\" text null, \"created_at\" timestamptz not null, constraint \"polls_answer_pkey\" primary key (\"id\"))")
    this.addSql("create index \"polls_answer_poll_id_index\" on \"polls_answer\" (\"poll_id\")")
    this.addSql("alter table \"polls_answer\" add constraint \"polls_answer_tenant_id_poll_id_voter_unique\" unique (\"tenant_id\", \"poll_id\", \"voter\")")
  }
}
