import { withPgClient } from '@buildfleet/testdb';

/** The schema as PostgreSQL's catalog describes it: tables, columns, constraints, indexes, triggers. */
export async function describeSchema(url: string): Promise<string[]> {
  return withPgClient(url, async (client) => {
    const { rows } = await client.query<{ line: string }>(`
      select format('column %s.%s %s%s%s', c.table_name, c.column_name, c.data_type,
                    case when c.is_nullable = 'NO' then ' not null' else '' end,
                    coalesce(' default ' || c.column_default, '')) as line
        from information_schema.columns c where c.table_schema = 'public'
      union all
      select format('constraint %s %s %s', t.relname, k.conname, pg_get_constraintdef(k.oid))
        from pg_constraint k join pg_class t on t.oid = k.conrelid
        join pg_namespace n on n.oid = t.relnamespace where n.nspname = 'public'
      union all
      select format('index %s', indexdef) from pg_indexes where schemaname = 'public'
      union all
      select format('trigger %s %s', event_object_table, pg_get_triggerdef(t.oid))
        from information_schema.triggers i
        join pg_trigger t on t.tgname = i.trigger_name
       where i.trigger_schema = 'public'
      union all
      select format('function %s', p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public'
      order by 1`);
    // The bookkeeping table is the migrator's, not part of any migration.
    return [...new Set(rows.map((r) => r.line))].filter((line) => !line.includes('buildfleet_migrations'));
  });
}
