import { Migration } from '@mikro-orm/migrations'

export class Migration20261129010000CoreJobsAndMail extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"kaiku_job\" (\"id\" varchar(36) not null, \"name\" varchar(100) not null, \"payload\" text not null, \"key\" varchar(255) null, \"status\" varchar(16) not null, \"attempts\" int not null, \"max_attempts\" int not null, \"run_at\" timestamptz not null, \"locked_by\" varchar(64) null, \"locked_until\" timestamptz null, \"last_error\" text null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"finished_at\" timestamptz null, constraint \"kaiku_job_pkey\" primary key (\"id\"))")
    this.addSql("alter table \"kaiku_job\" add constraint \"kaiku_job_key_unique\" unique (\"key\")")
    this.addSql("create index \"kaiku_job_status_run_at_index\" on \"kaiku_job\" (\"status\", \"run_at\")")
    this.addSql("create table \"kaiku_mail\" (\"id\" varchar(36) not null, \"key\" varchar(255) not null, \"message_id\" varchar(255) not null, \"template\" varchar(120) not null, \"recipient\" varchar(254) not null, \"sender\" varchar(320) not null, \"subject\" varchar(998) not null, \"html\" text not null, \"text\" text not null, \"headers\" text not null, \"status\" varchar(16) not null, \"attempts\" int not null, \"last_error\" text null, \"created_at\" timestamptz not null, \"sent_at\" timestamptz null, constraint \"kaiku_mail_pkey\" primary key (\"id\"))")
    this.addSql("alter table \"kaiku_mail\" add constraint \"kaiku_mail_key_unique\" unique (\"key\")")
    this.addSql("create index \"kaiku_mail_status_created_at_index\" on \"kaiku_mail\" (\"status\", \"created_at\")")
    this.addSql("create table \"kaiku_schedule\" (\"id\" varchar(160) not null, \"name\" varchar(100) not null, \"next_run_at\" timestamptz not null, \"last_run_at\" timestamptz null, constraint \"kaiku_schedule_pkey\" primary key (\"id\"))")
  }
}
