// A bare HTTP/1.1 client for the agent API's transport tests: one socket (or
// one TLS session on it) that the test writes bytes to and reads answers
// from, so a test controls exactly what goes on the wire and when (half a
// header, a chunked body, a close while a poll is parked).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <dirent.h>
#include <fstream>
#include <string>
#include <string_view>

namespace switchyard::test {

struct RawResponse {
  int status = 0;  // 0: the connection closed or the wait ran out first
  std::string headers;
  std::string body;
};

class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  [[nodiscard]] int fd() const { return fd_; }

  // Makes this a TLS connection (blocking handshake); false when refused.
  bool handshake(SSL_CTX* context) {
    ssl_ = SSL_new(context);
    SSL_set_fd(ssl_, fd_);
    return SSL_connect(ssl_) == 1;
  }
  [[nodiscard]] SSL* ssl() const { return ssl_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ssl_ != nullptr ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                                     : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  [[nodiscard]] bool readable(std::chrono::milliseconds wait) const {
    if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
    if (!pending_.empty()) return true;
    pollfd watched{fd_, POLLIN, 0};
    return ::poll(&watched, 1, static_cast<int>(wait.count())) == 1;
  }

  // One answer with a Content-Length body.
  RawResponse read_response(std::chrono::milliseconds wait = std::chrono::milliseconds(10'000)) {
    RawResponse response;
    const auto give_up = std::chrono::steady_clock::now() + wait;
    std::size_t head_end = std::string::npos;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(give_up)) return response;
    }
    response.headers = pending_.substr(0, head_end + 4);
    pending_.erase(0, head_end + 4);
    std::size_t length = 0;
    const auto at = lower(response.headers).find("content-length:");
    if (at != std::string::npos) length = std::stoul(response.headers.substr(at + 15));
    while (pending_.size() < length) {
      if (!fill(give_up)) return response;
    }
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    response.status = std::stoi(response.headers.substr(9, 3));
    return response;
  }

  // True when the server closes the connection within `wait` (EOF or reset).
  bool closed_within(std::chrono::milliseconds wait) {
    const auto give_up = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd watched{fd_, POLLIN, 0};
      if (::poll(&watched, 1, 50) != 1) continue;
      char byte[4096];
      const auto n = ::recv(fd_, byte, sizeof byte, 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  static std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }
  bool fill(std::chrono::steady_clock::time_point give_up) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!(ssl_ != nullptr && SSL_pending(ssl_) > 0)) {
      pollfd watched{fd_, POLLIN, 0};
      if (::poll(&watched, 1, static_cast<int>(left.count())) != 1) return false;
    }
    char chunk[16384];
    const auto n = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  SSL* ssl_ = nullptr;
  std::string pending_;
};

inline std::string report_request(const std::string& cluster, const std::string& token, const std::string& body) {
  return "PUT /v1/clusters/" + cluster + "/report HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string poll_request(const std::string& cluster, const std::string& token, std::int64_t after,
                                int timeout_seconds) {
  return "GET /v1/clusters/" + cluster + "/assignment?after=" + std::to_string(after) +
         "&timeoutSeconds=" + std::to_string(timeout_seconds) + " HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " +
         token + "\r\n\r\n";
}

// Threads of this process now.
inline std::size_t thread_count() {
  std::size_t count = 0;
  if (DIR* tasks = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(tasks)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(tasks);
  }
  return count;
}

// Resident memory of this process, in KiB.
inline long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace switchyard::test
