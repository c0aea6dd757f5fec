import { Migration } from '@mikro-orm/migrations'

export class Migration20261129115418FeedIndexes extends Migration {
  override async up(): Promise<void> {
    this.addSql("drop index \"feeds_post_tenant_id_pinned_status_index\"")
    this.addSql("create index \"feeds_post_tenant_id_status_pinned_published_at_id_index\" on \"feeds_post\" (\"tenant_id\", \"status\", \"pinned\", \"published_at\", \"id\")")
    this.addSql("alter table \"feeds_post_topic\" drop constraint \"feeds_post_topic_post_id_topic_id_unique\"")
    this.addSql("alter table \"feeds_post_topic\" add constraint \"feeds_post_topic_tenant_id_post_id_topic_id_unique\" unique (\"tenant_id\", \"post_id\", \"topic_id\")")
    this.addSql("alter table \"feeds_reaction\" drop constraint \"feeds_reaction_post_id_member_id_unique\"")
    this.addSql("alter table \"feeds_reaction\" add constraint \"feeds_reaction_tenant_id_post_id_member_id_unique\" unique (\"tenant_id\", \"post_id\", \"member_id\")")
  }
}
