#!/bin/bash
# WAL of the last cell by record type and relation, per transaction
W=${REPLAY_WORK:-/tmp/pg-write-replay}; PORT=${PGPORT:-5432}; read a b n < $W/last.lsn
psql -h 127.0.0.1 -p $PORT -U postgres -d mesh -P pager=off -c "
with r as (select resource_manager||'/'||split_part(record_type,' ',1) as rt, record_length, fpi_length,
  (regexp_match(block_ref, 'rel \d+/\d+/(\d+)'))[1]::oid as fn from pg_get_wal_records_info('$a','$b'))
select rt, coalesce(c.relname, fn::text) rel, round(count(*)::numeric/$n,2) per_op, round(sum(record_length+fpi_length)::numeric/$n) bytes_per_op
from r left join pg_class c on c.relfilenode = r.fn group by 1,2 having count(*)::numeric/$n >= 0.02 order by 4 desc"
psql -h 127.0.0.1 -p $PORT -U postgres -d mesh -P pager=off -c "select calls, round(total_exec_time::numeric/calls,4) ms, round(calls::numeric/$n,2) per_op, left(regexp_replace(query,'\s+',' ','g'),110) q from pg_stat_statements order by total_exec_time desc limit 22"
