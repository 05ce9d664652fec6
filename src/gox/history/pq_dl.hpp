#pragma once
// libpq, loaded when a PostgreSQL history is first used, not at every start.
//
// Linking libpq puts it and the twenty libraries it needs (Kerberos, LDAP,
// GnuTLS, SASL...) in front of every gox run: 3-4 ms of dynamic loading and
// relocation before main, on every `gox build`, for a feature most runs do
// not use (bench/README.md). So gox is compiled against libpq-fe.h but not
// linked with it: the first PostgreSQL call dlopen()s libpq.so.5 and
// resolves the functions pg_store.cpp uses. Include this header instead of
// libpq-fe.h; the PQ names below then call through the loaded library.

#include <libpq-fe.h>

#define GOX_PQ_FUNCTIONS(X)                                                                                           \
    X(PQclear) X(PQconnectPoll) X(PQconnectStartParams) X(PQerrorMessage) X(PQexec) X(PQexecParams)                  \
    X(PQexecPrepared) X(PQfinish) X(PQgetResult) X(PQgetlength) X(PQgetvalue) X(PQntuples) X(PQprepare)              \
    X(PQputCopyData) X(PQputCopyEnd) X(PQresultErrorField) X(PQresultStatus) X(PQsetNoticeProcessor) X(PQsocket)     \
    X(PQstatus)

namespace gox::history::pq {

struct Api {
#define GOX_PQ_FIELD(name) decltype(&::name) name = nullptr;
    GOX_PQ_FUNCTIONS(GOX_PQ_FIELD)
#undef GOX_PQ_FIELD
};

// The loaded library's functions; a HistoryError naming libpq.so.5 and why
// when it cannot be loaded (the first call tries, later ones repeat its answer).
const Api& api();

} // namespace gox::history::pq

#define PQclear(...) ::gox::history::pq::api().PQclear(__VA_ARGS__)
#define PQconnectPoll(...) ::gox::history::pq::api().PQconnectPoll(__VA_ARGS__)
#define PQconnectStartParams(...) ::gox::history::pq::api().PQconnectStartParams(__VA_ARGS__)
#define PQerrorMessage(...) ::gox::history::pq::api().PQerrorMessage(__VA_ARGS__)
#define PQexec(...) ::gox::history::pq::api().PQexec(__VA_ARGS__)
#define PQexecParams(...) ::gox::history::pq::api().PQexecParams(__VA_ARGS__)
#define PQexecPrepared(...) ::gox::history::pq::api().PQexecPrepared(__VA_ARGS__)
#define PQfinish(...) ::gox::history::pq::api().PQfinish(__VA_ARGS__)
#define PQgetResult(...) ::gox::history::pq::api().PQgetResult(__VA_ARGS__)
#define PQgetlength(...) ::gox::history::pq::api().PQgetlength(__VA_ARGS__)
#define PQgetvalue(...) ::gox::history::pq::api().PQgetvalue(__VA_ARGS__)
#define PQntuples(...) ::gox::history::pq::api().PQntuples(__VA_ARGS__)
#define PQprepare(...) ::gox::history::pq::api().PQprepare(__VA_ARGS__)
#define PQputCopyData(...) ::gox::history::pq::api().PQputCopyData(__VA_ARGS__)
#define PQputCopyEnd(...) ::gox::history::pq::api().PQputCopyEnd(__VA_ARGS__)
#define PQresultErrorField(...) ::gox::history::pq::api().PQresultErrorField(__VA_ARGS__)
#define PQresultStatus(...) ::gox::history::pq::api().PQresultStatus(__VA_ARGS__)
#define PQsetNoticeProcessor(...) ::gox::history::pq::api().PQsetNoticeProcessor(__VA_ARGS__)
#define PQsocket(...) ::gox::history::pq::api().PQsocket(__VA_ARGS__)
#define PQstatus(...) ::gox::history::pq::api().PQstatus(__VA_ARGS__)
