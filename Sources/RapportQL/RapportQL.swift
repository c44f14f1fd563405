public enum RapportQL { public static let version = "0.1.0" }
