import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RapportStore

/// A real `rapport serve` process on a loopback port.
public struct RunningServer: Sendable {
    public let pid: pid_t
    public let port: Int
    /// Where its standard output goes; standard error is beside it with `.err` appended.
    public let output: String

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts `rapport serve --port P ARGS…`.
    public static func start(_ arguments: [String], port: Int = Int.random(in: 20_000..<40_000), environment: [String: String] = [:]) throws -> RunningServer {
        let output = "/tmp/rapport-serve-\(UUID().uuidString.prefix(8)).out"
        let args = ["-c", "exec \"$0\" \"$@\" >'\(output)' 2>'\(output).err'", RapportBinary.path, "serve", "--port", "\(port)"] + arguments
        return RunningServer(pid: try Subprocess.spawn("/bin/sh", args, environment: environment), port: port, output: output)
    }

    /// A loopback port nothing listens on: the kernel's choice for a socket, which is closed.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestSetupError("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits for `/readyz` to answer 200 (up to a minute).
    public func waitUntilReady() async throws {
        for _ in 0..<240 {
            if (try? await httpGet(port, "/readyz").status) == 200 { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestSetupError("rapport serve did not become ready:\n\(log)")
    }

    public var log: String { (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? "" }

    public func firstLineOfOutput() throws -> String {
        String(try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").first ?? "")
    }

    /// SIGTERM, then the exit status (waited for off the cooperative pool; a server still
    /// there after a minute is killed, and its status says so).
    @discardableResult
    public func stop() async -> Int32 {
        kill(pid, SIGTERM)
        return await ChildProcess.exit(of: pid, within: .seconds(60)).status
    }

    /// SIGTERM without waiting, for a `defer` (which cannot `await`).
    public func stopInTheBackground() {
        ChildProcess.terminateInTheBackground(pid)
    }

    public func crash() async {
        kill(pid, SIGKILL)
        _ = await ChildProcess.exit(of: pid)
    }
}

/// A GET on loopback: the status and the body.
public func httpGet(_ port: Int, _ path: String, key: String? = nil) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.timeoutInterval = 5
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// A request with a JSON body on loopback: the status and the body.
public func httpSend(_ port: Int, _ method: String, _ path: String, key: String? = nil, body: String? = nil) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = method
    request.timeoutInterval = 5
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    if let body {
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}
