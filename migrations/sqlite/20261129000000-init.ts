import { Migration } from '@mikro-orm/migrations'

export class Migration20261129084519Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `kaiku_session` (`id` text not null, `data` text not null, `expires_at` datetime not null, `created_at` datetime not null, `updated_at` datetime not null, primary key (`id`))")
    this.addSql("create index `kaiku_session_expires_at_index` on `kaiku_session` (`expires_at`)")
  }
}
