import { Migration } from '@mikro-orm/migrations'

export class Migration20261129120601Connections extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `sharing_connection` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `network` text not null, `host` text not null, `account_id` text not null, `account_name` text not null, `token` text not null, `token_expires_at` datetime null, `status` text not null, `connected_at` datetime not null, `updated_at` datetime not null, primary key (`id`))")
    this.addSql("create index `sharing_connection_tenant_id_index` on `sharing_connection` (`tenant_id`)")
    this.addSql("create unique index `sharing_connection_tenant_id_member_id_network_unique` on `sharing_connection` (`tenant_id`, `member_id`, `network`)")
    this.addSql("create table `sharing_direct_post` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `post_id` text not null, `network` text not null, `connection_id` text not null, `account_name` text not null, `link_id` text not null, `message` text not null, `url` text not null, `status` text not null, `run_at` datetime not null, `failure` text null, `detail` text null, `remote_url` text null, `share_id` text null, `created_at` datetime not null, `updated_at` datetime not null, primary key (`id`))")
    this.addSql("create index `sharing_direct_post_tenant_id_index` on `sharing_direct_post` (`tenant_id`)")
    this.addSql("create index `sharing_direct_post_share_id_index` on `sharing_direct_post` (`share_id`)")
    this.addSql("create index `sharing_direct_post_tenant_id_member_id_created_at_index` on `sharing_direct_post` (`tenant_id`, `member_id`, `created_at`)")
    this.addSql("create table `sharing_oauth_state` (`id` text not null, `tenant_id` text not null, `member_id` text not null, `session_hash` text not null, `network` text not null, `host` text not null, `redirect_uri` text not null, `return_to` text null, `expires_at` datetime not null, primary key (`id`))")
    this.addSql("create index `sharing_oauth_state_tenant_id_index` on `sharing_oauth_state` (`tenant_id`)")
    this.addSql("create index `sharing_oauth_state_expires_at_index` on `sharing_oauth_state` (`expires_at`)")
    this.addSql("create table `sharing_provider_app` (`id` text not null, `tenant_id` text not null, `network` text not null, `host` text not null, `client_id` text not null, `client_secret` text not null, `redirect_uri` text null, `created_at` datetime not null, `updated_at` datetime not null, primary key (`id`))")
    this.addSql("create index `sharing_provider_app_tenant_id_index` on `sharing_provider_app` (`tenant_id`)")
    this.addSql("create unique index `sharing_provider_app_tenant_id_network_host_unique` on `sharing_provider_app` (`tenant_id`, `network`, `host`)")
  }
}
