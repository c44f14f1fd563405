import Foundation
import RapportQL

/// libFuzzer's entry point: one input, as UTF-8 text (invalid bytes become U+FFFD, as the
/// HTTP layer decodes a query), through the whole pipeline. `scripts/fuzz rql` builds and
/// runs it; ``PipelineInvariants`` says what it traps on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRQL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    PipelineInvariants.check(text, stages: true)
    // About half the inputs also go through as two statements, cut where the last byte says.
    if size >= 2, bytes[size - 1] & 1 == 1 {
        let characters = Array(text)
        let cut = Int(bytes[size - 1]) * characters.count / 256
        PipelineInvariants.check(String(characters[..<cut]) + ";\n" + String(characters[cut...]), stages: false)
    }
    return 0
}

#if !FUZZING
/// Without libFuzzer (a plain `swift build`, or `swift run FuzzRQL FILE…`): runs each file
/// through the same checks, to replay a crash under a debugger. `scripts/fuzz` builds with
/// `-DFUZZING`, where libFuzzer's own `main` takes over.
@main struct Replay {
    static func main() throws {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: FuzzRQL FILE…  (replays inputs; scripts/fuzz rql runs the fuzzer)")
        }
        for path in paths {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let bytes = [UInt8](data)
            _ = bytes.withUnsafeBufferPointer { buffer in
                fuzzRQL(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            }
            print("ok \(path)")
        }
    }
}
#endif
