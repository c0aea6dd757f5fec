import { Migration } from '@mikro-orm/migrations'

/** Every short domain an instance has used, so links posted on a former one keep answering. */
export class Migration20261203064613ShortDomains extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table `sharing_short_domain` (`host` text not null, `tenant_id` text not null, `retired_at` datetime null, `created_at` datetime not null, primary key (`host`))")
    this.addSql("create index `sharing_short_domain_tenant_id_index` on `sharing_short_domain` (`tenant_id`)")
    this.addSql("insert into `sharing_short_domain` (`host`, `tenant_id`, `retired_at`, `created_at`) select `short_domain`, `tenant_id`, null, `updated_at` from `sharing_settings` where `short_domain` is not null")
  }
}
