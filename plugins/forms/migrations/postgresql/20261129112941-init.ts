import { Migration } from '@mikro-orm/migrations'

export class Migration20261129112941Init extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"forms_lead\" (\"id\" varchar(36) not null, \"tenant_id\" varchar(36) not null, \"form\" varchar(16) not null, \"status\" varchar(16) not null, \"email\" varchar(254) not null, \"name\" varchar(120) null, \"company\" varchar(120) null, \"role\" varchar(120) null, \"company_size\" varchar(16) null, \"message\" text null, \"preferred_at\" timestamptz null, \"preferred_time_zone\" varchar(64) null, \"step\" int not null, \"completed_at\" timestamptz null, \"notes\" text null, \"network\" varchar(50) not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, constraint \"forms_lead_pkey\" primary key (\"id\"))")
    this.addSql("create index \"forms_lead_tenant_id_index\" on \"forms_lead\" (\"tenant_id\")")
    this.addSql("create index \"forms_lead_tenant_id_created_at_index\" on \"forms_lead\" (\"tenant_id\", \"created_at\")")
    this.addSql("create table \"forms_settings\" (\"tenant_id\" varchar(36) not null, \"recipients\" text not null, \"confirmation\" boolean not null, \"privacy_notice\" text null, \"retention_days\" int null, \"updated_at\" timestamptz not null, constraint \"forms_settings_pkey\" primary key (\"tenant_id\"))")
  }
}
