import RapportStore
public enum TS {}
