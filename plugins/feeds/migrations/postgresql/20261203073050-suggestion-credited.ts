import { Migration } from '@mikro-orm/migrations'

/** When an approved suggestion's post went live: until then its suggester is neither told nor credited. */
export class Migration20261203073050SuggestionCredited extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table \"feeds_suggestion\" add column \"credited_at\" timestamptz null")
    this.addSql("update \"feeds_suggestion\" set \"credited_at\" = \"decided_at\" where \"status\" = 'approved'")
  }
}
