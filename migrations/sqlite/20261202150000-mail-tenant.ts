import { Migration } from '@mikro-orm/migrations'

/** Which instance a mail was sent for, so that an operator's reading of it is recorded there. */
export class Migration20261202150000MailTenant extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table `kaiku_mail` add column `sent_for` text null")
  }
}
