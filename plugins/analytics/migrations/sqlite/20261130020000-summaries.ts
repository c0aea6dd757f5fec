import { Migration } from '@mikro-orm/migrations'

const pivot = `sum(case when "event" = 'share' then "count" else 0 end), sum(case when "event" = 'click' then "count" else 0 end), sum(case when "event" = 'unique_click' then "count" else 0 end)`
const dashboardEvents = `"event" in ('share', 'click', 'unique_click')`
/** analytics_monthly's dimensions: the daily columns each keeps (the others hold ''). */
const dimensions = { member: ['member_id'], network: ['network'], post: ['post_id'], member_network: ['member_id', 'network'] }
const keyColumns = ['member_id', 'network', 'post_id']

/**
 * Monthly (and per-day instance) summaries of the daily counters, so that a year's dashboard and the
 * all-time leaderboard read months instead of every day's counters; filled here from the counters
 * an instance already has. From now on the rollup keeps them (plugins/analytics/services/summaries.ts).
 */
export class Migration20261130020000Summaries extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `analytics_day_total` (`tenant_id` text not null, `day` text not null, `shares` integer not null, `clicks` integer not null, `unique_clicks` integer not null, primary key (`tenant_id`, `day`))")
    this.addSql("create table `analytics_month_activity` (`tenant_id` text not null, `month` text not null, `member_id` text not null, `event` text not null, `count` integer not null, primary key (`tenant_id`, `month`, `member_id`, `event`))")
    this.addSql("create table `analytics_monthly` (`tenant_id` text not null, `dimension` text not null, `month` text not null, `member_id` text not null, `network` text not null, `post_id` text not null, `shares` integer not null, `clicks` integer not null, `unique_clicks` integer not null, primary key (`tenant_id`, `dimension`, `month`, `member_id`, `network`, `post_id`))")
    this.addSql("create table `analytics_total_activity` (`tenant_id` text not null, `member_id` text not null, `event` text not null, `count` integer not null, primary key (`tenant_id`, `member_id`, `event`))")
    for (const [dimension, kept] of Object.entries(dimensions)) {
      const values = keyColumns.map((column) => (kept.includes(column) ? column : "''")).join(', ')
      this.addSql(
        `insert into analytics_monthly (tenant_id, dimension, "month", ${keyColumns.join(', ')}, shares, clicks, unique_clicks)
         select tenant_id, '${dimension}', substr("day", 1, 7), ${values}, ${pivot} from analytics_daily where ${dashboardEvents} group by tenant_id, substr("day", 1, 7), ${kept.join(', ')}`
      )
    }
    this.addSql(`insert into analytics_month_activity (tenant_id, "month", member_id, "event", "count") select tenant_id, substr("day", 1, 7), member_id, "event", sum("count") from analytics_daily where member_id <> '' group by tenant_id, substr("day", 1, 7), member_id, "event"`)
    this.addSql(`insert into analytics_total_activity (tenant_id, member_id, "event", "count") select tenant_id, member_id, "event", sum("count") from analytics_month_activity group by tenant_id, member_id, "event" having sum("count") <> 0`)
    this.addSql(`insert into analytics_day_total (tenant_id, "day", shares, clicks, unique_clicks) select tenant_id, "day", ${pivot} from analytics_daily where ${dashboardEvents} group by tenant_id, "day"`)
  }
}
