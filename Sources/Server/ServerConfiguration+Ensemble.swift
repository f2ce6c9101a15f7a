import Ensemble
import LMCore

extension ServerConfiguration {
    /// What is wrong with the configured models' types, paths and ensembles: a file model needs
    /// a path; an ensemble needs members that are other configured models, no cycle through
    /// other ensembles, weights ≥ 0 summing to 1, and one tokenizer shared by every member.
    func ensembleProblems() -> [String] {
        var problems: [String] = []
        let byName = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for m in models {
            switch m.type {
            case Model.file:
                if m.path.isEmpty { problems.append("model '\(m.name)': path is required (or type: ensemble with members)") }
                if !m.members.isEmpty { problems.append("model '\(m.name)': members belong to type: ensemble") }
            case Model.ensemble:
                problems += ensembleProblems(m, byName)
            default:
                problems.append("model '\(m.name)': type must be file or ensemble (got '\(m.type)')")
            }
        }
        return problems
    }

    private func ensembleProblems(_ m: Model, _ byName: [String: Model]) -> [String] {
        let prefix = "ensemble '\(m.name)'"
        var problems: [String] = []
        if !m.path.isEmpty { problems.append("\(prefix): an ensemble has members, not a path") }
        if m.members.isEmpty { problems.append("\(prefix): needs members") }
        if let problem = Mixture.problem(weights: m.members.map(\.weight)), !m.members.isEmpty {
            problems.append("\(prefix): \(problem)")
        }
        var seen = Set<String>()
        for member in m.members where !seen.insert(member.name).inserted {
            problems.append("\(prefix): member '\(member.name)' appears twice")
        }
        let missing = m.members.map(\.name).filter { byName[$0] == nil }
        if !missing.isEmpty {
            problems.append("\(prefix): no configured model named \(missing.map { "'\($0)'" }.joined(separator: ", "))")
        }
        if let cycle = cycle(from: m.name, byName) {
            problems.append("\(prefix): members refer back to it (\(cycle.joined(separator: " → ")))")
        }
        // One tokenizer for all: the members' (each defaults to whitespace), and the ensemble's own if given.
        let present = m.members.compactMap { byName[$0.name] }
        var tokenizers = present.map { ($0.name, $0.tokenizer ?? .whitespace) }
        if let own = m.tokenizer { tokenizers.append((m.name, own)) }
        if let first = tokenizers.first, tokenizers.contains(where: { $0.1 != first.1 }) {
            let list = tokenizers.map { "'\($0.0)' \($0.1)" }.joined(separator: ", ")
            problems.append("\(prefix): members must share one tokenizer (\(list))")
        }
        return problems
    }

    /// A path of ensemble memberships from `name` back to itself, if there is one.
    private func cycle(from name: String, _ byName: [String: Model]) -> [String]? {
        func walk(_ current: String, _ path: [String]) -> [String]? {
            guard let model = byName[current], model.isEnsemble else { return nil }
            for member in model.members.map(\.name) {
                if member == name { return path + [member] }
                if path.contains(member) { continue }
                if let found = walk(member, path + [member]) { return found }
            }
            return nil
        }
        return walk(name, [name])
    }

    /// The models in an order that loads every ensemble after its members (configured order
    /// otherwise). Assumes a valid configuration (no cycles).
    package var loadOrder: [Model] {
        var done = Set<String>()
        var order: [Model] = []
        let byName = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func visit(_ m: Model) {
            guard !done.contains(m.name) else { return }
            done.insert(m.name)
            for member in m.members { if let x = byName[member.name] { visit(x) } }
            order.append(m)
        }
        models.forEach(visit)
        return order
    }

    /// The tokenizer an ensemble's requests use: its own, else its first member's.
    func tokenizer(of model: Model) -> Tokenizer? {
        if model.tokenizer != nil || !model.isEnsemble { return model.tokenizer }
        return model.members.first.flatMap { member in models.first { $0.name == member.name } }.flatMap { tokenizer(of: $0) }
    }
}

extension ServerConfiguration.Member {
    /// Members written `A*0.4+B*0.6` (the `--model NAME=ensemble:…` form, and `ppl --model
    /// ensemble:…` with files for names): terms joined by `+`, each NAME*WEIGHT split at its
    /// last `*`. Names cannot contain `+`.
    ///
    /// - Throws: `SettingProblem` describing the term at fault.
    package static func parseList(_ text: String) throws -> [ServerConfiguration.Member] {
        let terms = text.split(separator: "+", omittingEmptySubsequences: false)
        return try terms.map { term in
            guard let star = term.lastIndex(of: "*"), let weight = Double(term[term.index(after: star)...]),
                !term[..<star].isEmpty
            else {
                throw SettingProblem(message: "each member is NAME*WEIGHT, joined by + (got '\(term)' in '\(text)')")
            }
            return ServerConfiguration.Member(name: String(term[..<star]), weight: weight)
        }
    }
}
