import { Migration } from '@mikro-orm/migrations'

/** No query reads clicks by link: its index only cost every click an insert at a random place. */
export class Migration20261130050000ClickLinkIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql("drop index \"sharing_click_link_id_index\"")
  }
}
