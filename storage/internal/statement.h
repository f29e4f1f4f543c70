#pragma once

#include <soci/soci.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace claims::storage::internal {

// A pooled session as transaction bodies see it: every statement sent through it is counted, so
// the number of round trips a call makes is a figure tests assert and benchmarks report, not a
// guess. Statements go through Stmt or Exec only.
class Conn {
 public:
  Conn(soci::session& session, std::atomic<int64_t>& statements)
      : session_(session), statements_(statements) {}

  soci::session& session() { return session_; }
  void Count() { statements_.fetch_add(1, std::memory_order_relaxed); }

 private:
  soci::session& session_;
  std::atomic<int64_t>& statements_;
};

// A statement assembled at run time from any number of bound values. Bound variables must
// outlive Run() and every Fetch().
class Stmt {
 public:
  explicit Stmt(Conn& conn) : conn_(conn), st_(conn.session()) {}

  template <typename T>
  Stmt& Into(T& value) {
    st_.exchange(soci::into(value));
    return *this;
  }
  template <typename T>
  Stmt& Into(T& value, soci::indicator& indicator) {
    st_.exchange(soci::into(value, indicator));
    return *this;
  }
  template <typename T>
  Stmt& Use(const T& value) {
    st_.exchange(soci::use(value));
    return *this;
  }

  // Prepares and executes; when values are bound with Into, fetches the first row. Returns
  // whether a row was fetched.
  bool Run(std::string_view sql) {
    conn_.Count();
    st_.alloc();
    st_.prepare(std::string(sql));
    st_.define_and_bind();
    return st_.execute(true);
  }
  bool Fetch() { return st_.fetch(); }
  // Rows matched (not necessarily changed) by an UPDATE or DELETE.
  int64_t AffectedRows() { return st_.get_affected_rows(); }

 private:
  Conn& conn_;
  soci::statement st_;
};

// A statement without bound values.
inline void Exec(Conn& conn, std::string_view sql) {
  conn.Count();
  conn.session() << sql;
}

}  // namespace claims::storage::internal
