// MongoStore
