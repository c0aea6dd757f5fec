import { Migration } from '@mikro-orm/migrations'

export class Migration20261129144550PluginSwitches extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `kaiku_plugin_switch` (`tenant_id` text not null, `plugin` text not null, `changed_by` text null, `changed_at` datetime not null, primary key (`tenant_id`, `plugin`))")
  }
}
