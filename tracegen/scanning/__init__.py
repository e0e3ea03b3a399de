"""Reading filled paper worksheets back (`tracegen scan`): pages found by their code and marks, each
character cell read by a small digit model (`digits`), each blank decided among the values a careful
student could write, the rest handed to a person.
"""
