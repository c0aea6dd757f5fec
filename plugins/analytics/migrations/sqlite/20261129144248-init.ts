import { Migration } from '@mikro-orm/migrations'

export class Migration20261129144248Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `analytics_daily` (`id` text not null, `tenant_id` text not null, `day` text not null, `post_id` text not null, `member_id` text not null, `network` text not null, `event` text not null, `count` integer not null, primary key (`id`))")
    this.addSql("create index `analytics_daily_tenant_id_day_index` on `analytics_daily` (`tenant_id`, `day`)")
    this.addSql("create unique index `analytics_daily_tenant_id_day_post_id_member_id_network_event_unique` on `analytics_daily` (`tenant_id`, `day`, `post_id`, `member_id`, `network`, `event`)")
    this.addSql("create table `analytics_event` (`id` text not null, `tenant_id` text not null, `at` datetime not null, `type` text not null, `post_id` text null, `member_id` text null, `network` text null, `subject` text null, primary key (`id`))")
    this.addSql("create index `analytics_event_tenant_id_at_index` on `analytics_event` (`tenant_id`, `at`)")
    this.addSql("create index `analytics_event_at_index` on `analytics_event` (`at`)")
    this.addSql("create table `analytics_member` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `hide_name` integer not null, `audience` json not null, primary key (`id`))")
    this.addSql("create unique index `analytics_member_tenant_id_member_id_unique` on `analytics_member` (`tenant_id`, `member_id`)")
    this.addSql("create table `analytics_request` (`id` text not null, `tenant_id` text not null, `at` datetime not null, `path` text not null, `referrer_host` text null, `agent_class` text not null, `ip_net` text not null, `member_id` text null, primary key (`id`))")
    this.addSql("create index `analytics_request_tenant_id_at_index` on `analytics_request` (`tenant_id`, `at`)")
    this.addSql("create index `analytics_request_at_index` on `analytics_request` (`at`)")
    this.addSql("create table `analytics_settings` (`tenant_id` text not null, `beacons` integer not null, `cost_per_click_cents` integer not null, `currency` text not null, `points` json not null, `leaderboard_anonymous` integer not null, `updated_at` datetime not null, primary key (`tenant_id`))")
  }
}
