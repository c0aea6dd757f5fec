import { Migration } from '@mikro-orm/migrations'

/** Points per member (the leaderboard) read from one covering index, without a table lookup per daily counter. */
export class Migration20261129190500LeaderboardIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql("create index \"analytics_daily_tenant_id_member_id_event_count_index\" on \"analytics_daily\" (\"tenant_id\", \"member_id\", \"event\", \"count\")")
  }
}
