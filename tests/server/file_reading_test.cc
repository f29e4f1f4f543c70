#include "config/file_reading.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace claims::config {
namespace {

using ::claims::testing::StatusIs;
using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(ReadFileWithinTest, ReadsAFileUpToTheLimit) {
  const std::string path = WriteTemp("within.txt", "12345");
  EXPECT_THAT(ReadFileWithin(path, 5), claims::testing::IsOkAndHolds(std::string("12345")));
  EXPECT_THAT(ReadFileWithin(path, 4),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("within.txt: 5 bytes, more than the limit of 4")));
  std::remove(path.c_str());
}

TEST(ReadFileWithinTest, AnEmptyFileIsEmpty) {
  const std::string path = WriteTemp("empty.txt", "");
  EXPECT_THAT(ReadFileWithin(path, 0), claims::testing::IsOkAndHolds(std::string()));
  std::remove(path.c_str());
}

TEST(ReadFileWithinTest, AMissingFileIsNotFound) {
  EXPECT_THAT(ReadFileWithin(::testing::TempDir() + "/no/such/file", 10),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot read")));
}

// A device or a FIFO has no size to check and may never end (or block on open): refused.
TEST(ReadFileWithinTest, DevicesAndFifosAreRefusedWithoutReading) {
  EXPECT_THAT(ReadFileWithin("/dev/zero", 10),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a regular file")));
  const std::string fifo = ::testing::TempDir() + "/read_within.fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(ReadFileWithin(fifo, 10),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a regular file")));
  ::unlink(fifo.c_str());
  EXPECT_THAT(ReadFileWithin(::testing::TempDir(), 10),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace claims::config
