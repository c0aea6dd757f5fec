import { Migration } from '@mikro-orm/migrations'

export class Migration20261129010000CoreJobsAndMail extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `kaiku_job` (`id` text not null, `name` text not null, `payload` text not null, `key` text null, `status` text not null, `attempts` integer not null, `max_attempts` integer not null, `run_at` datetime not null, `locked_by` text null, `locked_until` datetime null, `last_error` text null, `created_at` datetime not null, `updated_at` datetime not null, `finished_at` datetime null, primary key (`id`))")
    this.addSql("create unique index `kaiku_job_key_unique` on `kaiku_job` (`key`)")
    this.addSql("create index `kaiku_job_status_run_at_index` on `kaiku_job` (`status`, `run_at`)")
    this.addSql("create table `kaiku_mail` (`id` text not null, `key` text not null, `message_id` text not null, `template` text not null, `recipient` text not null, `sender` text not null, `subject` text not null, `html` text not null, `text` text not null, `headers` text not null, `status` text not null, `attempts` integer not null, `last_error` text null, `created_at` datetime not null, `sent_at` datetime null, primary key (`id`))")
    this.addSql("create unique index `kaiku_mail_key_unique` on `kaiku_mail` (`key`)")
    this.addSql("create index `kaiku_mail_status_created_at_index` on `kaiku_mail` (`status`, `created_at`)")
    this.addSql("create table `kaiku_schedule` (`id` text not null, `name` text not null, `next_run_at` datetime not null, `last_run_at` datetime null, primary key (`id`))")
  }
}
