import { Migration } from '@mikro-orm/migrations'

export class Migration20261129150422OpenBeacons extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table \"notifications_preferences\" add column \"count_opens\" boolean not null default true")
  }
}
