import { Migration } from '@mikro-orm/migrations'

export class Migration20261129000000CoreInit extends Migration {
  override async up(): Promise<void> {
    this.addSql("create table \"kaiku_session\" (\"id\" varchar(64) not null, \"data\" text not null, \"expires_at\" timestamptz not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, constraint \"kaiku_session_pkey\" primary key (\"id\"))")
    this.addSql("create index \"kaiku_session_expires_at_index\" on \"kaiku_session\" (\"expires_at\")")
  }
}
