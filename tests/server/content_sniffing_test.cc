// Evidence content types told from the bytes (libmagic), and which declared types they match.

#include "server/api/content_sniffing.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace claims::server {
namespace {

class ContentSnifferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ContentSniffer>> sniffer = ContentSniffer::Create();
    ASSERT_TRUE(sniffer.ok()) << sniffer.status();
    sniffer_ = *std::move(sniffer);
  }
  std::unique_ptr<ContentSniffer> sniffer_;
};

TEST_F(ContentSnifferTest, TellsDocumentsAndImagesFromTheirFirstBytes) {
  EXPECT_EQ(sniffer_->MediaType("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "application/pdf");
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0", 33);
  EXPECT_EQ(sniffer_->MediaType(png), "image/png");
  EXPECT_EQ(sniffer_->MediaType("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
            "image/jpeg");
  EXPECT_EQ(sniffer_->MediaType("GIF89a\x01\0\x01\0\x80\0\0"), "image/gif");
  EXPECT_EQ(sniffer_->MediaType("plain words for a reviewer\n"), "text/plain");
  EXPECT_NE(sniffer_->MediaType("\x7f"
                                "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0"),
            "application/pdf");
}

TEST_F(ContentSnifferTest, IsSafeFromManyThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> pdfs{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (sniffer_->MediaType("%PDF-1.4\n") == "application/pdf") ++pdfs;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(pdfs.load(), 200);
}

TEST(ContentMatchesDeclaredTypeTest, EqualTypesAndOfficeContainersMatch) {
  EXPECT_TRUE(ContentMatchesDeclaredType("application/pdf", "application/pdf"));
  EXPECT_FALSE(ContentMatchesDeclaredType("image/png", "application/pdf"));
  EXPECT_FALSE(ContentMatchesDeclaredType("application/pdf", "application/x-executable"));
  const char* docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  EXPECT_TRUE(ContentMatchesDeclaredType(docx, docx));
  EXPECT_TRUE(ContentMatchesDeclaredType(docx, "application/zip"));
  EXPECT_FALSE(ContentMatchesDeclaredType("application/pdf", "application/zip"));
  EXPECT_TRUE(ContentMatchesDeclaredType("application/msword", "application/cdfv2"));
  EXPECT_FALSE(ContentMatchesDeclaredType("application/msword", "application/zip"));
  EXPECT_FALSE(ContentMatchesDeclaredType("text/plain", "text/html"));
}

}  // namespace
}  // namespace claims::server
