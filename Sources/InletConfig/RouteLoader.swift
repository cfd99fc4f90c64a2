import Crypto
import Foundation
import Yams

/// Loads a directory of route files into a `RouteTable`, or reports every problem at once with
/// `file:line: message`. Used by `inlet serve` before anything listens, and by `inlet check`.
public enum RouteLoader {
    /// Reads `directory/*.yaml` in name order. Hidden files (editor swap files) are skipped.
    /// `environment` resolves every `env:NAME`.
    public static func load(directory: String, environment: [String: String]) -> Result<RouteTable, RouteErrors> {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix(".") }
                .sorted()
        } catch {
            return .failure(RouteErrors([RouteError(file: directory, line: 0, message: "cannot read the routes directory")]))
        }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var files: [(path: String, contents: Data)] = []
        var errors: [RouteError] = []
        for name in names {
            let path = "\(base)/\(name)"
            if let data = FileManager.default.contents(atPath: path) {
                files.append((path, data))
            } else {
                errors.append(RouteError(file: path, line: 0, message: "cannot read the file"))
            }
        }
        if names.isEmpty {
            errors.append(RouteError(file: directory, line: 0, message: "no route files (*.yaml)"))
        }
        let result = load(files: files, environment: environment)
        guard !errors.isEmpty else { return result }
        if case .failure(let more) = result { errors += more.errors }
        return .failure(RouteErrors(errors))
    }

    /// Loads route files given as path and bytes, in the order given (`load(directory:)` sorts by
    /// name). The fingerprint covers each file's base name and bytes, so the same files give the
    /// same fingerprint wherever they are installed.
    public static func load(files: [(path: String, contents: Data)], environment: [String: String]) -> Result<RouteTable, RouteErrors> {
        var errors: [RouteError] = []
        var routeFiles: [RouteFile] = []
        var tenants: [String: (file: String, line: Int)] = [:]
        var sources: [String: (file: String, line: Int)] = [:]

        for (path, contents) in files {
            guard let text = String(data: contents, encoding: .utf8) else {
                errors.append(RouteError(file: path, line: 0, message: "the file is not UTF-8 text"))
                continue
            }
            let root: Node
            do {
                guard let node = try Yams.compose(yaml: text) else {
                    errors.append(RouteError(file: path, line: 0, message: "the file is empty"))
                    continue
                }
                root = node
            } catch {
                errors.append(yamlError(error, file: path))
                continue
            }
            var parser = RouteFileParser(file: path, environment: environment)
            let parsed = parser.parse(root)
            errors += parser.errors

            if let tenant = parsed.tenant {
                if let first = tenants[tenant.id] {
                    errors.append(RouteError(
                        file: path, line: tenant.line,
                        message: "tenant '\(tenant.id)' is already defined in \(first.file):\(first.line)"))
                } else {
                    tenants[tenant.id] = (path, tenant.line)
                }
            }
            for source in parsed.sourceIDs {
                if let first = sources[source.id] {
                    errors.append(RouteError(
                        file: path, line: source.line,
                        message: "source id '\(source.id)' is already used in \(first.file):\(first.line)"))
                } else {
                    sources[source.id] = (path, source.line)
                }
            }
            if let routeFile = parsed.routeFile { routeFiles.append(routeFile) }
        }
        guard errors.isEmpty else { return .failure(RouteErrors(errors)) }
        return .success(RouteTable(files: routeFiles, fingerprint: fingerprint(files)))
    }

    /// SHA-256 over, per file: base name, NUL, byte count (8 bytes big-endian), bytes. The
    /// framing keeps bytes moved from one file to the next from hashing the same.
    static func fingerprint(_ files: [(path: String, contents: Data)]) -> String {
        var hasher = SHA256()
        for (path, contents) in files {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            hasher.update(data: Data(name.utf8) + [0])
            withUnsafeBytes(of: UInt64(contents.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: contents)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// A YAML syntax error at its line. Yams' own description quotes the whole document, which
    /// could hold a secret someone pasted in; only the problem is kept.
    private static func yamlError(_ error: any Error, file: String) -> RouteError {
        guard let yamlError = error as? YamlError else {
            return RouteError(file: file, line: 0, message: "invalid YAML")
        }
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return RouteError(file: file, line: mark.line, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return RouteError(
                file: file, line: context.mark.line,
                message: "duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))")
        case .reader(let problem, _, _, _):
            return RouteError(file: file, line: 0, message: "invalid YAML: \(problem)")
        default:
            return RouteError(file: file, line: 0, message: "invalid YAML")
        }
    }
}
