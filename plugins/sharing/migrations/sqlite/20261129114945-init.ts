import { Migration } from '@mikro-orm/migrations'

export class Migration20261129114945Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `sharing_click` (`id` text not null, `tenant_id` text not null, `link_id` text not null, `post_id` text not null, `member_id` text not null, `network` text not null, `at` datetime not null, `ip_net` text not null, `agent` text not null, `referrer_host` text null, `visitor_key` text not null, `bot` integer not null, primary key (`id`))")
    this.addSql("create index `sharing_click_tenant_id_index` on `sharing_click` (`tenant_id`)")
    this.addSql("create index `sharing_click_tenant_id_at_index` on `sharing_click` (`tenant_id`, `at`)")
    this.addSql("create index `sharing_click_link_id_index` on `sharing_click` (`link_id`)")
    this.addSql("create table `sharing_link` (`id` text not null, `tenant_id` text not null, `code` text not null, `post_id` text not null, `member_id` text not null, `network` text not null, `target` text not null, `created_at` datetime not null, primary key (`id`))")
    this.addSql("create index `sharing_link_tenant_id_index` on `sharing_link` (`tenant_id`)")
    this.addSql("create unique index `sharing_link_code_unique` on `sharing_link` (`code`)")
    this.addSql("create index `sharing_link_member_id_index` on `sharing_link` (`member_id`)")
    this.addSql("create unique index `sharing_link_post_id_member_id_network_unique` on `sharing_link` (`post_id`, `member_id`, `network`)")
    this.addSql("create table `sharing_post_networks` (`post_id` text not null, `tenant_id` text not null, `networks` json not null, primary key (`post_id`))")
    this.addSql("create index `sharing_post_networks_tenant_id_index` on `sharing_post_networks` (`tenant_id`)")
    this.addSql("create table `sharing_share` (`id` text not null, `tenant_id` text not null, `post_id` text not null, `member_id` text not null, `network` text not null, `link_id` text not null, `text` text not null, `created_at` datetime not null, primary key (`id`))")
    this.addSql("create index `sharing_share_tenant_id_index` on `sharing_share` (`tenant_id`)")
    this.addSql("create index `sharing_share_post_id_index` on `sharing_share` (`post_id`)")
    this.addSql("create index `sharing_share_member_id_index` on `sharing_share` (`member_id`)")
    this.addSql("create index `sharing_share_tenant_id_created_at_index` on `sharing_share` (`tenant_id`, `created_at`)")
    this.addSql("create table `sharing_profile` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `mastodon_instance` text null, primary key (`id`))")
    this.addSql("create index `sharing_profile_tenant_id_index` on `sharing_profile` (`tenant_id`)")
    this.addSql("create unique index `sharing_profile_tenant_id_member_id_unique` on `sharing_profile` (`tenant_id`, `member_id`)")
    this.addSql("create table `sharing_settings` (`tenant_id` text not null, `networks` json not null, `utm_campaign` text not null, `short_domain` text null, `updated_at` datetime not null, primary key (`tenant_id`))")
    this.addSql("create unique index `sharing_settings_short_domain_unique` on `sharing_settings` (`short_domain`)")
    this.addSql("create table `sharing_salt` (`day` text not null, `salt` text not null, primary key (`day`))")
  }
}
