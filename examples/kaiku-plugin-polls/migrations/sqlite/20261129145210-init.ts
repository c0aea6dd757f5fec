import { Migration } from 'kaiku/plugin-api'

export class Migration20261129145210Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `polls_poll` (`id` text not null, `tenant_id` text not null, `question` text not null, `kind` text not null, `options` text not null, `anonymous` integer not null, `results_public` integer not null, `closes_at` datetime null, `post_id` text null, `created_by` text not null, `created_at` datetime not null, primary key (`id`))")
    this.addSql("create index `polls_poll_tenant_id_created_at_index` on `polls_poll` (`tenant_id`, `created_at`)")
    this.addSql("create index `polls_poll_tenant_id_post_id_index` on `polls_poll` (`tenant_id`, `post_id`)")
    this.addSql("create table `polls_answer` (`id` text not null, `tenant_id` text not null, `poll_id` text not null, `voter` text not null, `member_id` text null, `choices` text not null, `text` text null, `created_at` datetime not null, primary key (`id`))")
    this.addSql("create index `polls_answer_poll_id_index` on `polls_answer` (`poll_id`)")
    this.addSql("create unique index `polls_answer_tenant_id_poll_id_voter_unique` on `polls_answer` (`tenant_id`, `poll_id`, `voter`)")
  }
}
