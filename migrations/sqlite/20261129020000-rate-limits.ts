import { Migration } from '@mikro-orm/migrations'

export class Migration20261129020000CoreRateLimits extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `kaiku_rate` (`key` text not null, `count` integer not null, `reset_at` datetime not null, primary key (`key`))")
    this.addSql("create index `kaiku_rate_reset_at_index` on `kaiku_rate` (`reset_at`)")
  }
}
