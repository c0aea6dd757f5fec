import { Migration } from '@mikro-orm/migrations'

export class Migration20261129144550PluginSwitches extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"kaiku_plugin_switch\" (\"tenant_id\" varchar(36) not null, \"plugin\" varchar(40) not null, \"changed_by\" varchar(64) null, \"changed_at\" timestamptz not null, constraint \"kaiku_plugin_switch_pkey\" primary key (\"tenant_id\", \"plugin\"))")
  }
}
