import { Migration } from '@mikro-orm/migrations'

export class Migration20261129020000CoreRateLimits extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"kaiku_rate\" (\"key\" varchar(255) not null, \"count\" int not null, \"reset_at\" timestamptz not null, constraint \"kaiku_rate_pkey\" primary key (\"key\"))")
    this.addSql("create index \"kaiku_rate_reset_at_index\" on \"kaiku_rate\" (\"reset_at\")")
  }
}
