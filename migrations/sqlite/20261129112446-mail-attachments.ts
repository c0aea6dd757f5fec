import { Migration } from '@mikro-orm/migrations'

export class Migration20261129112446MailAttachments extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table `kaiku_mail` add column `attachments` text null")
  }
}
