import Foundation
import TOMLParser

/// A job file read into the `copy` arguments it stands for. Unknown sections and keys, wrong
/// types and a password written into the file are errors that name the file, line and column.
struct JobFile {
    /// The equivalent `mailferry copy` arguments (secrets only as references).
    var arguments: [String]
    /// Environment variables to set before the run: `password_env` names the variable that
    /// holds a password, which the run reads as MAILFERRY_SOURCE/DEST_PASSWORD.
    var environment: [String: String]

    /// A mistake in the file, at its line and column (the TOML reader's own error type).
    typealias Failure = TOMLError

    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> JobFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(file: path, line: 1, column: 1, message: "cannot read the job file")
        }
        let table = try TOMLParser().parse(bytes: Array(data), file: path)
        return try JobFile(table: table, file: path, environment: environment)
    }

    init(table: TOMLTable, file: String, environment: [String: String]) throws {
        let known = JobFileSchema.sections.map(\.name) + JobFileSchema.topLevel
        for entry in table.entries where !known.contains(entry.key) {
            throw Failure(file: file, at: entry.keyPosition, "unknown key `\(entry.key)` at the top level; sections are \(JobFileSchema.sections.map { "[\($0.name)]" }.joined(separator: ", "))")
        }
        for key in JobFileSchema.topLevel {
            if let entry = table.entry(key), entry.value.string == nil {
                throw Failure(file: file, at: entry.value.position, "`\(key)` must be a string")
            }
        }
        var endpoints: [String: String] = [:]
        var options: [String] = table["profile"]?.string.map { ["--profile", $0] } ?? []
        var variables: [String: String] = [:]
        for (name, keys) in JobFileSchema.sections {
            guard let entry = table.entry(name) else { continue }
            guard let section = entry.value.table else {
                throw Failure(file: file, at: entry.value.position, "`\(name)` must be a table: write [\(name)]")
            }
            for item in section.entries {
                guard let key = keys.first(where: { $0.name == item.key }) else {
                    throw Failure(file: file, at: item.keyPosition, "unknown key `\(item.key)` in [\(name)]; known keys: \(keys.map(\.name).joined(separator: ", "))")
                }
                let value = item.value
                func fail(_ expected: String) -> Failure {
                    Failure(file: file, at: value.position, "`\(item.key)` in [\(name)] must be \(expected), found \(value.typeNameWithArticle)")
                }
                switch key.kind {
                case .endpoint:
                    guard let url = value.string else { throw fail("a string") }
                    endpoints[name] = url
                case .text:
                    let text: String
                    if let string = value.string {
                        text = string
                    } else if case .dateTime(let date) = value.kind {
                        text = date.text
                    } else {
                        throw fail("a string")
                    }
                    options += ["--\(key.option)", text]
                case .number:
                    if let integer = value.integer {
                        options += ["--\(key.option)", String(integer)]
                    } else if let float = value.float {
                        options += ["--\(key.option)", String(float)]
                    } else {
                        throw fail("a number")
                    }
                case .flag, .negatedFlag:
                    guard let flag = value.boolean else { throw fail("true or false") }
                    if flag == (key.kind == .flag) { options.append("--\(key.option)") }
                case .textOrBoolean(let falseFlag):
                    if let string = value.string {
                        options += ["--\(key.option)", string]
                    } else if let flag = value.boolean {
                        if !flag { options.append("--\(falseFlag)") }
                    } else {
                        throw fail("a string or true or false")
                    }
                case .texts:
                    guard let array = value.array else { throw fail("an array of strings") }
                    for element in array {
                        guard let text = element.string else {
                            throw Failure(file: file, at: element.position, "`\(item.key)` in [\(name)] must hold strings")
                        }
                        options += ["--\(key.option)", text]
                    }
                case .pairs:
                    guard let pairs = value.table else { throw fail("a table such as { \"OLD\" = \"NEW\" }") }
                    for pair in pairs.entries {
                        guard let target = pair.value.string else {
                            throw Failure(file: file, at: pair.value.position, "`\(pair.key)` in \(name).\(item.key) must map to a string")
                        }
                        options += ["--\(key.option)", "\(pair.key)=\(target)"]
                    }
                case .passwordVariable:
                    guard let variable = value.string else { throw fail("the name of an environment variable") }
                    guard let secret = environment[variable] else {
                        throw Failure(file: file, at: value.position, "the environment variable \(variable) (password_env) is not set")
                    }
                    variables[name == "source" ? "MAILFERRY_SOURCE_PASSWORD" : "MAILFERRY_DEST_PASSWORD"] = secret
                }
            }
        }
        for side in ["source", "destination"] where endpoints[side] == nil {
            let position = table.entry(side)?.value.position ?? SourcePosition(line: 1, column: 1)
            throw Failure(file: file, at: position, "missing [\(side)] url = \"…\" (for example maildir:~/Mail or imaps://me@example.com)")
        }
        arguments = [endpoints["source"]!, endpoints["destination"]!] + options
        self.environment = variables
    }
}
