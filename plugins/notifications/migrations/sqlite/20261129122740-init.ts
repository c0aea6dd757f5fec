import { Migration } from '@mikro-orm/migrations'

export class Migration20261129122740Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `notifications_broadcast` (`id` text not null, `tenant_id` text not null, `author_id` text null, `subject` text not null, `body` text not null, `topic_ids` json not null, `status` text not null, `recipients` integer not null, `created_at` datetime not null, `sent_at` datetime null, primary key (`id`))")
    this.addSql("create index `notifications_broadcast_tenant_id_index` on `notifications_broadcast` (`tenant_id`)")
    this.addSql("create table `notifications_notice` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `category` text not null, `message_key` text not null, `params` json not null, `link` text null, `created_at` datetime not null, `read_at` datetime null, primary key (`id`))")
    this.addSql("create index `notifications_notice_tenant_id_index` on `notifications_notice` (`tenant_id`)")
    this.addSql("create index `notifications_notice_tenant_id_member_id_read_at_index` on `notifications_notice` (`tenant_id`, `member_id`, `read_at`)")
    this.addSql("create index `notifications_notice_member_id_created_at_index` on `notifications_notice` (`member_id`, `created_at`)")
    this.addSql("create table `notifications_preferences` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `digest` text not null, `digest_hour` integer not null, `digest_day` text not null, `off` json not null, `last_digest_at` datetime null, `updated_at` datetime not null, primary key (`id`))")
    this.addSql("create index `notifications_preferences_tenant_id_index` on `notifications_preferences` (`tenant_id`)")
    this.addSql("create unique index `notifications_preferences_tenant_id_member_id_unique` on `notifications_preferences` (`tenant_id`, `member_id`)")
  }
}
