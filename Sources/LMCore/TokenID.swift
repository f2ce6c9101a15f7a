/// A token's index in a model's vocabulary.
package typealias TokenID = UInt32
