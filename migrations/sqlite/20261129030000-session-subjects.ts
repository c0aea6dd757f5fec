import { Migration } from '@mikro-orm/migrations'

export class Migration20261129030000CoreSessionSubjects extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table `kaiku_session` add column `subject` text null")
    this.addSql("alter table `kaiku_session` add column `user_agent` text null")
    this.addSql("create index `kaiku_session_subject_index` on `kaiku_session` (`subject`)")
  }
}
