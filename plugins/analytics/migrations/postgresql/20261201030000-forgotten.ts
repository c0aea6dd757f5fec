import { Migration } from '@mikro-orm/migrations'

/** When a member of each instance was last erased or anonymised: rollups that counted before it count again. */
export class Migration20261201030000Forgotten extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table "analytics_forgotten" ("tenant_id" varchar(36) not null, "at" timestamptz not null, constraint "analytics_forgotten_pkey" primary key ("tenant_id"))')
  }
}
