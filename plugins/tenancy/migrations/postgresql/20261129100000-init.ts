import { Migration } from '@mikro-orm/migrations'

export class Migration20261129100000TenancyInit extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"tenancy_tenant\" (\"id\" varchar(36) not null, \"slug\" varchar(40) not null, \"name\" varchar(120) not null, \"time_zone\" varchar(64) not null, \"locale\" varchar(8) not null, \"brand_name\" varchar(120) not null, \"brand_colour\" varchar(7) not null, \"logo_path\" varchar(255) null, \"invitation_message\" text not null, \"status\" varchar(16) not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, constraint \"tenancy_tenant_pkey\" primary key (\"id\"))")
    this.addSql("alter table \"tenancy_tenant\" add constraint \"tenancy_tenant_slug_unique\" unique (\"slug\")")
    this.addSql("create table \"tenancy_domain\" (\"domain\" varchar(253) not null, \"tenant_id\" varchar(36) not null, \"created_at\" timestamptz not null, constraint \"tenancy_domain_pkey\" primary key (\"domain\"))")
    this.addSql("create index \"tenancy_domain_tenant_id_index\" on \"tenancy_domain\" (\"tenant_id\")")
  }
}
