# Sourced by the bench scripts: start MariaDB, build, and create (or reuse) the fixture database
# $DB with $TICKETS tickets. Expects TICKETS, DB, PORT and OSTMIG to be set.
bash .ci/mariadb start
cargo build --release --locked --quiet
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }

admin() { MYSQL_PWD=admin-pass mariadb -h 127.0.0.1 -P "$PORT" -u ostmig_admin "$@"; }
have=$(admin -N -B -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='ost_ticket'")
if [ "$have" = "1" ] && [ "$(admin -N -B "$DB" -e 'SELECT COUNT(*) FROM ost_ticket')" = "$TICKETS" ]; then
  echo "reusing database $DB" >&2
else
  echo "generating $DB ($TICKETS tickets); this is done once" >&2
  admin -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb3"
  "$OSTMIG" fixture --tickets "$TICKETS" | admin "$DB"
fi
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
